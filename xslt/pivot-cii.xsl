<?xml version="1.0" encoding="UTF-8"?>
<!--
  UN/CEFACT CII (D16B / D22B, also the XML inside a Factur-X PDF) -> CPPFacturePivot V2_02.
  EN 16931 CII binding (../shared/domain/chorus-pro.md §1.4); shared mapping in pivot-common.xsl.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
    exclude-result-prefixes="rsm ram udt">

  <xsl:include href="pivot-common.xsl"/>

  <xsl:template match="/">
    <xsl:call-template name="pivot">
      <xsl:with-param name="invoice" select="/rsm:CrossIndustryInvoice"/>
    </xsl:call-template>
  </xsl:template>

  <!-- BG-17 credit transfer: BT-84 IBAN (or proprietary id), BT-86 BIC, BT-85 account name. -->
  <xsl:template match="*" mode="bank">
    <xsl:variable name="means" select="rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementPaymentMeans[ram:PayeePartyCreditorFinancialAccount][1]"/>
    <xsl:variable name="account" select="$means/ram:PayeePartyCreditorFinancialAccount"/>
    <xsl:call-template name="reference-bancaire">
      <xsl:with-param name="account" select="normalize-space(($account/ram:IBANID | $account/ram:ProprietaryID)[1])"/>
      <xsl:with-param name="bic" select="normalize-space($means/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID)"/>
      <xsl:with-param name="holder" select="normalize-space($account/ram:AccountName)"/>
    </xsl:call-template>
  </xsl:template>

  <!-- BT-44 buyer name. -->
  <xsl:template match="*" mode="buyer-name">
    <xsl:value-of select="normalize-space(rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:Name)"/>
  </xsl:template>

  <xsl:template match="*" mode="donnees">
    <xsl:variable name="trade" select="rsm:SupplyChainTradeTransaction"/>
    <xsl:variable name="agreement" select="$trade/ram:ApplicableHeaderTradeAgreement"/>
    <xsl:variable name="settlement" select="$trade/ram:ApplicableHeaderTradeSettlement"/>
    <xsl:variable name="totals" select="$settlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"/>
    <xsl:variable name="currency" select="normalize-space($settlement/ram:InvoiceCurrencyCode)"/>
    <xsl:call-template name="donnees-tete">
      <xsl:with-param name="number" select="rsm:ExchangedDocument/ram:ID"/>
      <xsl:with-param name="preceding" select="$settlement/ram:InvoiceReferencedDocument[1]/ram:IssuerAssignedID"/>
      <xsl:with-param name="type_code" select="rsm:ExchangedDocument/ram:TypeCode"/>
      <xsl:with-param name="framework" select="rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"/>
      <xsl:with-param name="issue_date">
        <xsl:call-template name="date102"><xsl:with-param name="value" select="rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"/></xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="delivery_date">
        <xsl:call-template name="date102"><xsl:with-param name="value" select="$trade/ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"/></xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="means" select="$settlement/ram:SpecifiedTradeSettlementPaymentMeans[1]/ram:TypeCode"/>
      <xsl:with-param name="currency" select="$currency"/>
    </xsl:call-template>
    <xsl:call-template name="montants">
      <xsl:with-param name="ht" select="$totals/ram:TaxBasisTotalAmount"/>
      <xsl:with-param name="ttc" select="$totals/ram:GrandTotalAmount"/>
      <xsl:with-param name="due" select="$totals/ram:DuePayableAmount"/>
    </xsl:call-template>
    <xsl:variable name="taxes" select="$settlement/ram:ApplicableTradeTax"/>
    <xsl:if test="$taxes">
      <TVAs>
        <xsl:for-each select="$taxes">
          <xsl:call-template name="tva">
            <xsl:with-param name="rate" select="ram:RateApplicablePercent"/>
            <xsl:with-param name="base" select="ram:BasisAmount"/>
            <xsl:with-param name="amount" select="ram:CalculatedAmount"/>
          </xsl:call-template>
        </xsl:for-each>
      </TVAs>
    </xsl:if>
    <xsl:call-template name="engagement">
      <xsl:with-param name="contract" select="$agreement/ram:ContractReferencedDocument/ram:IssuerAssignedID"/>
      <xsl:with-param name="order" select="$agreement/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"/>
    </xsl:call-template>
    <xsl:variable name="lines" select="$trade/ram:IncludedSupplyChainTradeLineItem"/>
    <xsl:if test="$lines">
      <Lignes>
        <xsl:for-each select="$lines">
          <xsl:variable name="product" select="ram:SpecifiedTradeProduct"/>
          <xsl:call-template name="ligne">
            <xsl:with-param name="index" select="position()"/>
            <xsl:with-param name="reference" select="($product/ram:SellerAssignedID | $product[not(ram:SellerAssignedID)]/ram:Name)[1]"/>
            <xsl:with-param name="price" select="ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"/>
            <xsl:with-param name="quantity" select="ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"/>
            <xsl:with-param name="amount" select="ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"/>
            <xsl:with-param name="rate" select="ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"/>
          </xsl:call-template>
        </xsl:for-each>
      </Lignes>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
